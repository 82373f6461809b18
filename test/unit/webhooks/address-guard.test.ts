import assert from 'node:assert/strict';
import { AddressRefusedError, checkLiteralHost, guardedLookup, isPublicAddress } from '@modelrun/webhooks';

describe('the webhook address guard', () => {
  it('refuses loopback, link-local, private, shared, documentation, multicast and reserved addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '127.8.9.10',
      '0.0.0.0',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '192.0.2.10',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd12:3456::1',
      'fc00::1',
      'ff02::1',
      '2001:db8::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::a9fe:a9fe',
    ]) {
      assert.equal(isPublicAddress(ip), false, `${ip} must be refused`);
    }
  });

  it('refuses every IPv6 form that carries an IPv4 address, public or not, and site-local addresses', () => {
    const table: [string, string][] = [
      ['::127.0.0.1', 'IPv4-compatible (::/96), loopback'],
      ['::7f00:1', 'IPv4-compatible, in hex'],
      ['::a9fe:a9fe', 'IPv4-compatible, the metadata service'],
      ['::8.8.8.8', 'IPv4-compatible, a public address: still not a form a resolver should answer'],
      ['::ffff:7f00:1', 'IPv4-mapped (::ffff:0:0/96), in hex'],
      ['::ffff:8.8.8.8', 'IPv4-mapped, a public address'],
      ['::ffff:0:7f00:1', 'IPv4-translated (::ffff:0:0:0/96), loopback'],
      ['::ffff:0:a9fe:a9fe', 'IPv4-translated, the metadata service'],
      ['fec0::1', 'site-local (fec0::/10)'],
      ['feff:ffff::1', 'site-local, the top of the range'],
    ];
    for (const [ip, what] of table) assert.equal(isPublicAddress(ip), false, `${ip} (${what}) must be refused`);
    for (const url of ['http://[::127.0.0.1]/hook', 'http://[::ffff:0:7f00:1]/hook', 'http://[fec0::1]/hook']) {
      assert.throws(() => checkLiteralHost(new URL(url), false), AddressRefusedError, url);
    }
  });

  it('lets public addresses through, including the neighbours of private ranges', () => {
    for (const ip of ['1.1.1.1', '8.8.8.8', '172.15.255.255', '172.32.0.1', '192.169.0.1', '100.128.0.1', '2606:4700:4700::1111', '2001:4860::8888', 'fe7f::1', 'fc::1']) {
      assert.equal(isPublicAddress(ip), true, `${ip} is public`);
    }
  });

  it('refuses what is not an address at all', () => {
    assert.equal(isPublicAddress('localhost'), false);
    assert.equal(isPublicAddress(''), false);
  });

  it('checks a URL whose host is an IP literal, in any spelling the URL parser accepts', () => {
    for (const url of ['http://127.0.0.1:8080/hook', 'http://[::1]/hook', 'http://2130706433/hook', 'http://0x7f.1/hook', 'http://169.254.169.254/latest/meta-data']) {
      assert.throws(() => checkLiteralHost(new URL(url), false), AddressRefusedError, url);
      assert.doesNotThrow(() => checkLiteralHost(new URL(url), true), `${url} with WEBHOOK_ALLOW_PRIVATE`);
    }
    assert.doesNotThrow(() => checkLiteralHost(new URL('https://93.184.215.14/hook'), false));
  });

  it('resolves a host name at connect time and refuses it when it resolves to a private address', async () => {
    const lookup = (allow: boolean): Promise<unknown> =>
      new Promise((resolve, reject) => guardedLookup(allow)('localhost', { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));
    await assert.rejects(lookup(false), (err: Error) => err instanceof AddressRefusedError && /localhost resolves to (127\.0\.0\.1|::1), a private address/.test(err.message));
    const allowed = (await lookup(true)) as { address: string }[];
    assert.ok(allowed.some((a) => a.address === '127.0.0.1' || a.address === '::1'));
  });
});

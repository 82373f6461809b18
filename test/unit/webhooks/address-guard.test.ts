import assert from 'node:assert/strict';
import { AddressRefusedError, checkLiteralHost, guardedLookup, isPublicAddress } from '@modelrun/webhooks';

describe('the webhook address guard', () => {
  it('refuses loopback, link-local, private, shared, documentation, multicast and reserved addresses', () => {
    for (const ip of [
      '127.0.0.1', '127.8.9.10', '0.0.0.0', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1',
      '169.254.169.254', '100.64.0.1', '192.0.2.10', '198.18.0.1', '224.0.0.1', '255.255.255.255',
      '::1', '::', 'fe80::1', 'fd12:3456::1', 'fc00::1', 'ff02::1', '2001:db8::1',
      '::ffff:127.0.0.1', '::ffff:10.0.0.1', '64:ff9b::a9fe:a9fe',
    ]) {
      assert.equal(isPublicAddress(ip), false, `${ip} must be refused`);
    }
  });

  it('lets public addresses through, including the neighbours of private ranges', () => {
    for (const ip of ['1.1.1.1', '8.8.8.8', '172.15.255.255', '172.32.0.1', '192.169.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
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

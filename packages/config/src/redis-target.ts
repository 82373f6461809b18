/**
 * Where the queue's Redis is: one address, or a master group that Sentinel watches (ioredis
 * then asks the sentinels for the current primary on every connect, so it follows failovers).
 * Parsed once from REDIS_URL; `url` is kept as given, for redacted log lines.
 */
export type RedisTarget = StandaloneRedis | SentinelRedis;

export interface StandaloneRedis {
  kind: 'standalone';
  /** redis:// or rediss://, handed to ioredis as is. */
  url: string;
}

export interface SentinelRedis {
  kind: 'sentinel';
  url: string;
  sentinels: { host: string; port: number }[];
  /** The master group's name in the sentinels' configuration (`sentinel monitor <name> ...`). */
  masterName: string;
  /** ACL user and password of the primary and its replicas. */
  username?: string;
  password?: string;
  /** The sentinels' own password, when they have `requirepass` (`?sentinelPassword=`). */
  sentinelPassword?: string;
  db: number;
}

const SENTINEL_SCHEME = 'redis+sentinel:';
const DEFAULT_SENTINEL_PORT = 26379;

/**
 * Parses a REDIS_URL. `redis://` and `rediss://` name one server;
 * `redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/<master-name>[/<db>][?sentinelPassword=...]`
 * names a Sentinel-managed group. Throws an Error whose message says what is wrong.
 */
export function parseRedisTarget(url: string): RedisTarget {
  const scheme = /^([a-z+]+:)\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'redis:' || scheme === 'rediss:') {
    try {
      new URL(url);
    } catch {
      throw new Error('must be a redis://, rediss:// or redis+sentinel:// URL');
    }
    return { kind: 'standalone', url };
  }
  if (scheme !== SENTINEL_SCHEME) throw new Error('must be a redis://, rediss:// or redis+sentinel:// URL');
  return parseSentinelUrl(url);
}

function parseSentinelUrl(url: string): SentinelRedis {
  // WHATWG URL cannot hold several hosts, so the parts are taken apart by hand.
  const m = /^redis\+sentinel:\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(url);
  if (!m) throw new Error('must look like redis+sentinel://[:password@]host1:26379,host2:26379/<master-name>');
  const [, auth, hostList = '', path = '', query = ''] = m;
  const sentinels = hostList
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .map(parseHost);
  if (sentinels.length === 0) throw new Error('names no sentinel: redis+sentinel://host1:26379,host2:26379/<master-name>');
  const [masterName = '', db = '0', ...rest] = path.split('/').slice(1).map(decodeURIComponent);
  if (!masterName) throw new Error('names no master group: add /<master-name> (as in `sentinel monitor <master-name> ...`)');
  if (rest.length || !/^\d{1,2}$/.test(db)) throw new Error(`the path must be /<master-name> or /<master-name>/<db>, got ${path}`);
  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (key !== 'sentinelPassword') throw new Error(`unknown parameter ${key} (only sentinelPassword is understood)`);
  }
  const target: SentinelRedis = { kind: 'sentinel', url, sentinels, masterName, db: Number(db) };
  if (auth !== undefined) {
    const colon = auth.indexOf(':');
    const username = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon));
    const password = colon < 0 ? '' : decodeURIComponent(auth.slice(colon + 1));
    // As in redis://: a bare name before @ is a password (the default user's).
    if (colon < 0) {
      if (username) target.password = username;
    } else {
      if (username) target.username = username;
      if (password) target.password = password;
    }
  }
  const sentinelPassword = params.get('sentinelPassword');
  if (sentinelPassword) target.sentinelPassword = sentinelPassword;
  return target;
}

function parseHost(spec: string): { host: string; port: number } {
  // [v6::addr]:port, host:port, or a host alone (the sentinel default port).
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/i.exec(spec);
  const host = m?.[1] ?? m?.[2];
  const port = m?.[3] === undefined ? DEFAULT_SENTINEL_PORT : Number(m[3]);
  if (!host || port < 1 || port > 65535) throw new Error(`has a bad sentinel address ${JSON.stringify(spec)} (host:port, [ipv6]:port)`);
  return { host, port };
}

/** The URL without any password, fit for a log line or an error message. */
export function redactRedisUrl(url: string): string {
  // user:password@ keeps the user; a lone name before @ may be a password, so it goes too.
  const masked = url.replace(/^([a-z+]+:\/\/)([^@/]*)@/i, (_all, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return `${scheme}${colon < 0 ? '' : auth.slice(0, colon)}:***@`;
  });
  return masked.replace(/([?&]sentinelPassword=)[^&#]*/i, '$1***');
}

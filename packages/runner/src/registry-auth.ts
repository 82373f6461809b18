import { z } from 'zod';
import { parseImageRef } from '@modelrun/contracts';

/** What the engine takes as `X-Registry-Auth` for one pull (dockerode's `authconfig`). */
export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

/** Docker Hub: the name an unqualified image belongs to, and the key `docker login` writes. */
const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io']);

// Values are never echoed in messages: a bad entry is named by its registry, not its contents.
const AuthEntry = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
});

/** A Docker `config.json` (what `docker login` writes): `auths` by registry; other keys are ignored. */
const AuthFile = z.looseObject({
  auths: z.record(z.string(), AuthEntry, { error: 'must be an object of registries' }),
});

export class RegistryAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryAuthError';
  }
}

/**
 * The credentials of a Docker config.json, by registry host. Keys may be hosts
 * (`registry.example:5000`) or URLs (`https://registry.example:5000/v1/`), as Docker allows.
 */
export class RegistryCredentials {
  private constructor(private readonly byHost: ReadonlyMap<string, Omit<RegistryAuth, 'serveraddress'> & { key: string }>) {}

  static readonly none = new RegistryCredentials(new Map());

  /** Parses the file's text; throws RegistryAuthError naming the registry (never a secret) at fault. */
  static parse(text: string): RegistryCredentials {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RegistryAuthError('is not valid JSON');
    }
    const parsed = AuthFile.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RegistryAuthError(`${['', ...(issue?.path ?? [])].join('.').slice(1) || 'the file'}: ${issue?.message ?? 'is not a Docker config.json'}`);
    }
    const byHost = new Map<string, Omit<RegistryAuth, 'serveraddress'> & { key: string }>();
    for (const [key, entry] of Object.entries(parsed.data.auths)) {
      const host = canonicalHost(hostOfKey(key));
      if (!host) throw new RegistryAuthError(`auths: "${key}" is not a registry host`);
      let { username, password } = entry;
      if (entry.auth !== undefined) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon <= 0) throw new RegistryAuthError(`auths.${key}.auth: is not base64 of user:password`);
        username = decoded.slice(0, colon);
        password = decoded.slice(colon + 1);
      }
      const creds = username && password ? { username, password } : entry.identitytoken ? { identitytoken: entry.identitytoken } : undefined;
      if (!creds) {
        throw new RegistryAuthError(`auths.${key}: has no auth, username and password, or identitytoken (credential helpers are not supported)`);
      }
      byHost.set(host, { key, ...creds });
    }
    return new RegistryCredentials(byHost);
  }

  /** Registries that have credentials (for logs: hosts only). */
  get registries(): string[] {
    return [...this.byHost.keys()];
  }

  /** The credentials for the registry an image comes from, if there are any. */
  for(image: string): RegistryAuth | undefined {
    const host = registryOf(image);
    const found = this.byHost.get(host);
    if (!found) return undefined;
    const { key: _key, ...creds } = found;
    return { ...creds, serveraddress: host === DOCKER_HUB ? DOCKER_HUB_KEY : host };
  }
}

/**
 * The registry an image reference pulls from, by Docker's rules: the first path component when
 * it looks like a host (has a `.` or `:`, is `localhost`, or has capitals), else Docker Hub.
 */
export function registryOf(image: string): string {
  const repository = parseImageRef(image)?.repository ?? image;
  const slash = repository.indexOf('/');
  if (slash === -1) return DOCKER_HUB;
  const first = repository.slice(0, slash);
  const isHost = /[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase();
  return isHost ? canonicalHost(first) : DOCKER_HUB;
}

/** `https://host:5000/v1/` → `host:5000`, as the docker CLI's ConvertToHostname. */
function hostOfKey(key: string): string {
  return key.replace(/^https?:\/\//, '').split('/')[0] ?? '';
}

function canonicalHost(host: string): string {
  const h = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(h) ? DOCKER_HUB : h;
}

import { z } from 'zod';

/** The CLI's own variables: where the API is and how to sign in. Flags override them. */
const ClientEnv = z.object({
  MODELRUN_URL: z.string().default('http://127.0.0.1:8081'),
  MODELRUN_TOKEN: z.string().optional(),
});

export interface ClientConfig {
  /** The API's base URL (default http://127.0.0.1:8081, the API's own default). */
  url: string;
  /** A bearer token; none for an API that runs without API_TOKENS. */
  token?: string;
}

/** Reads MODELRUN_URL and MODELRUN_TOKEN; an empty variable counts as unset. */
export function loadClientConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const e = ClientEnv.parse(present);
  return { url: e.MODELRUN_URL.trim(), ...(e.MODELRUN_TOKEN && { token: e.MODELRUN_TOKEN.trim() }) };
}

// The API reference page (/docs): Swagger UI over the generated /v1/openapi.json. Requests made
// from it ("Try it out") ride the browser's session and carry its CSRF token, as the app's do.

interface SwaggerRequest {
  method?: string;
  headers: Record<string, string>;
}

declare const SwaggerUIBundle: (options: { url: string; dom_id: string; deepLinking: boolean; requestInterceptor: (req: SwaggerRequest) => SwaggerRequest }) => unknown;

async function csrfToken(): Promise<string | undefined> {
  const res = await fetch('/v1/session', { headers: { Accept: 'application/json' } });
  return res.ok ? ((await res.json()) as { csrfToken?: string }).csrfToken : undefined;
}

const csrf = await csrfToken().catch(() => undefined);
SwaggerUIBundle({
  url: '/v1/openapi.json',
  dom_id: '#docs',
  deepLinking: true,
  requestInterceptor: (req) => {
    if (csrf && req.method && req.method !== 'GET') req.headers['X-CSRF-Token'] = csrf;
    return req;
  },
});

export {};

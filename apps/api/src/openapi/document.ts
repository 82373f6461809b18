import { componentSchemas } from './components';
import { paths } from './paths';

/**
 * The API's OpenAPI 3.1 document, generated from the zod contracts the routes parse and the
 * services return (so a field added to a schema appears here), served at /v1/openapi.json.
 */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'modelrun', version: '1', description: 'Run ML models packaged as container images and keep their scores.', license: { name: 'MIT', identifier: 'MIT' } },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { session: [] }],
    paths: paths(),
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'modelrun_session', description: 'From POST /v1/session; writes also need X-CSRF-Token' },
      },
      schemas: componentSchemas(),
    },
  };
}

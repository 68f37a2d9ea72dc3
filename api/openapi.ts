/**
 * From the routes' zod schemas to the OpenAPI document (fastify-type-provider-zod's transforms), and what those leave
 * unsaid: @fastify/swagger marks every request body required, while confirm and cancel take none. A route whose body
 * schema accepts no body at all (`.optional()`) gets `requestBody.required: false`, so the document says what the
 * API does (a fuzzer then sends no body, and a client generator makes it optional). And the response headers a route
 * declares beside a response's content (the sketch's CSP and file name), which the zod transform drops, are kept.
 */
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { z } from 'zod';

export function openapiTransforms(): { transform: SwaggerTransform; transformObject: SwaggerTransformObject } {
  /** `METHOD url` of the routes whose body may be left out, found as the routes are transformed. */
  const optionalBodies = new Set<string>();
  /** `METHOD url` → status → the response headers the route declares (plain OpenAPI header objects). */
  const responseHeaders = new Map<string, Record<string, unknown>>();
  return {
    transform: (input) => {
      const body = input.schema.body;
      const methods = [input.route.method].flat().map((method) => method.toLowerCase());
      if (body instanceof z.ZodType && body.safeParse(undefined).success) {
        for (const method of methods) optionalBodies.add(`${method} ${input.url}`);
      }
      const declared = Object.entries((input.schema.response ?? {}) as Record<string, { headers?: unknown }>)
        .filter(([, response]) => typeof response?.headers === 'object' && response.headers !== null)
        .map(([status, response]): [string, unknown] => [status, response.headers]);
      if (declared.length > 0)
        for (const method of methods) responseHeaders.set(`${method} ${input.url}`, Object.fromEntries(declared));
      return jsonSchemaTransform(input);
    },
    transformObject: (input) => {
      const document = jsonSchemaTransformObject(input) as OpenAPIV3_1.Document;
      for (const [path, operations] of Object.entries(document.paths ?? {})) {
        for (const [method, operation] of Object.entries(operations ?? {})) {
          const { requestBody } = operation as OpenAPIV3_1.OperationObject;
          const openapiPath = path.replace(/\{(\w+)\}/g, ':$1');
          if (requestBody && 'content' in requestBody && optionalBodies.has(`${method} ${openapiPath}`))
            requestBody.required = false;
          const headers = responseHeaders.get(`${method} ${openapiPath}`) ?? {};
          for (const [status, declared] of Object.entries(headers)) {
            const response = (operation as OpenAPIV3_1.OperationObject).responses?.[status];
            if (response && !('$ref' in response)) response.headers = declared as OpenAPIV3_1.ResponseObject['headers'];
          }
        }
      }
      return document;
    },
  };
}

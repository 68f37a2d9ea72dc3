/**
 * From the routes' zod schemas to the OpenAPI document (fastify-type-provider-zod's transforms), and what those leave
 * unsaid: @fastify/swagger marks every request body required, while confirm and cancel take none. A route whose body
 * schema accepts no body at all (`.optional()`) gets `requestBody.required: false`, so the document says what the
 * API does (a fuzzer then sends no body, and a client generator makes it optional).
 */
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { z } from 'zod';

export function openapiTransforms(): { transform: SwaggerTransform; transformObject: SwaggerTransformObject } {
  /** `METHOD url` of the routes whose body may be left out, found as the routes are transformed. */
  const optionalBodies = new Set<string>();
  return {
    transform: (input) => {
      const body = input.schema.body;
      if (body instanceof z.ZodType && body.safeParse(undefined).success) {
        for (const method of [input.route.method].flat()) optionalBodies.add(`${method.toLowerCase()} ${input.url}`);
      }
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
        }
      }
      return document;
    },
  };
}

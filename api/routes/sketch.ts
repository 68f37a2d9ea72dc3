/**
 * The installer's sketch (croqui) of a reservation: where the customer is, the drop (along the poles, or a straight
 * line when the reservation has no route), the box, splitter and port, the dates, the ISP's name (api/sketch/).
 *
 *   GET /v1/reservations/{id}/sketch.svg   200 image/svg+xml
 *   GET /v1/reservations/{id}/sketch.pdf   200 application/pdf (one A4 page)
 *
 * The same key, tenant and answers as GET /v1/reservations/{id} (another tenant's reservation is a 404), and 409 when
 * the reservation has no port to draw: none reserved yet (or ever), or released (RELEASING, EXPIRED, CANCELLED).
 * Names from OZmap and the address are data: the SVG escapes them, and is served under a CSP that runs nothing, so
 * even one opened on its own in a browser can never run script.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config/env.ts';
import { callerAuth, callerOf, type Authenticate } from '../callers.ts';
import { HttpProblem } from '../errors.ts';
import { ViabilityParams, errorResponses } from '../schemas.ts';
import { buildSketch, noSketchReason, requestOf, type Sketch } from '../sketch/model.ts';
import { renderPdf } from '../sketch/pdf.ts';
import { renderSvg } from '../sketch/svg.ts';

/** An SVG opened directly runs no script and loads nothing; its presentation attributes still apply. */
export const SKETCH_SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'";

/** The file name a download gets: the viability id with anything but letters, digits, ".", "_" and "-" as "_". */
export const sketchFileName = (viabilityId: string, extension: 'svg' | 'pdf'): string =>
  `croqui-${viabilityId.replace(/[^A-Za-z0-9._-]/g, '_')}.${extension}`;

const security = [{ bearer: [] }];
const tags = ['reservations'];
const DESCRIPTION =
  "The installer's sketch: the customer's point and address, the drop along the poles with its length (or, without " +
  'a route, a dashed straight line to the box with the straight-line distance), the box, splitter and port, ' +
  "the reservation's dates, the viability id and the ISP's name; a scale bar in metres and a north arrow. " +
  'The same key and tenant as GET /v1/reservations/{viabilityId}. ' +
  '409 when the reservation has no reserved port (not reserved yet, or never) or its port was released.';

/** Response headers as the OpenAPI document shows them (api/openapi.ts keeps them beside the content). */
const header = (description: string, schema: Record<string, unknown>) => ({ description, required: true, schema });
const NOSNIFF = header('Always `nosniff`', { type: 'string', const: 'nosniff' });
const DISPOSITION = (extension: string) =>
  header(`\`inline; filename="croqui-<viabilityId>.${extension}"\` (other characters of the id as "_")`, {
    type: 'string',
    pattern: `^inline; filename="croqui-[A-Za-z0-9._-]+\\.${extension}"$`,
  });

export const sketchRoutes: FastifyPluginCallbackZod<{
  authenticate: Authenticate;
  config: Pick<Config, 'http'>;
}> = (app, { authenticate, config }, done) => {
  app.addHook('onRequest', callerAuth(authenticate));
  const waitMs = config.http.waitSeconds * 1000;

  /** The caller's reservation and what it was started with, as a sketch; 409 when it has no port to draw. */
  const sketchOf = async (request: FastifyRequest, viabilityId: string): Promise<Sketch> => {
    const caller = callerOf(request);
    const { reservations } = caller;
    return reservations.within(AbortSignal.timeout(waitMs), async () => {
      const state = await reservations.get(viabilityId);
      const reason = noSketchReason(state);
      if (reason) {
        throw new HttpProblem(409, 'no-port', `No sketch for ${viabilityId}: ${reason}`, [
          { field: 'viabilityId', message: reason },
        ]);
      }
      // The address and customer as the ISP sent them (the state keeps only the geocoder's reading).
      const started = await reservations.startedWith(viabilityId);
      return buildSketch({ state, ispName: caller.name ?? caller.tenantId, request: requestOf(started?.input) });
    });
  };
  const common = (reply: FastifyReply, viabilityId: string, extension: 'svg' | 'pdf') =>
    reply
      .header('x-content-type-options', 'nosniff')
      // The customer's name and address: kept by no shared cache, nor by the browser.
      .header('cache-control', 'no-store')
      .header('content-disposition', `inline; filename="${sketchFileName(viabilityId, extension)}"`);

  app.get(
    '/v1/reservations/:viabilityId/sketch.svg',
    {
      schema: {
        operationId: 'getReservationSketchSvg',
        summary: "The installer's sketch of a reservation, as SVG",
        description: DESCRIPTION,
        tags,
        security,
        params: ViabilityParams,
        response: {
          200: {
            description: 'The sketch: an SVG document (no script, no external reference)',
            content: { 'image/svg+xml': { schema: z.string() } },
            headers: {
              'Content-Security-Policy': header(`Always \`${SKETCH_SVG_CSP}\``, {
                type: 'string',
                const: SKETCH_SVG_CSP,
              }),
              'X-Content-Type-Options': NOSNIFF,
              'Content-Disposition': DISPOSITION('svg'),
            },
          },
          ...errorResponses(400, 401, 404, 409, 502, 503),
        },
      },
    },
    async (request, reply) => {
      const svg = renderSvg(await sketchOf(request, request.params.viabilityId));
      return common(reply, request.params.viabilityId, 'svg')
        .header('content-security-policy', SKETCH_SVG_CSP)
        .type('image/svg+xml; charset=utf-8')
        .send(svg);
    },
  );

  app.get(
    '/v1/reservations/:viabilityId/sketch.pdf',
    {
      schema: {
        operationId: 'getReservationSketchPdf',
        summary: "The installer's sketch of a reservation, as PDF (one A4 page)",
        description: DESCRIPTION,
        tags,
        security,
        params: ViabilityParams,
        response: {
          200: {
            description: 'The sketch: a one-page PDF (A4), the drawing as vector lines and the facts as text',
            content: { 'application/pdf': { schema: z.string().meta({ contentMediaType: 'application/pdf' }) } },
            headers: { 'X-Content-Type-Options': NOSNIFF, 'Content-Disposition': DISPOSITION('pdf') },
          },
          ...errorResponses(400, 401, 404, 409, 502, 503),
        },
      },
    },
    async (request, reply) => {
      const pdf = await renderPdf(await sketchOf(request, request.params.viabilityId));
      return common(reply, request.params.viabilityId, 'pdf').type('application/pdf').send(pdf);
    },
  );
  done();
};

/**
 * Links to a reservation's resources in the HTTP API (docs/http-api.md), relative to the API's base URL: the API
 * answer and the webhook events carry them, and a receiver resolves them against the address it calls the API at.
 * No zod: the workflow bundle imports this.
 */

/** The installer's sketch of a reserved port (docs/poles.md, "What people see"). */
export function sketchLinks(viabilityId: string): { sketchSvg: string; sketchPdf: string } {
  const base = `/v1/reservations/${encodeURIComponent(viabilityId)}`;
  return { sketchSvg: `${base}/sketch.svg`, sketchPdf: `${base}/sketch.pdf` };
}

"""Schemathesis hooks for `npm run test:api-fuzz` (test/contract/schemathesis.ts).

The relaxations of the run, each for one kind of value of one operation, where the rule the API enforces cannot be
said in JSON Schema, so a value of the documented form is schema-valid and rightly refused with 400 naming it:

- GET /v1/reservations's `pageToken`. A page token is opaque and checked with an HMAC bound to the listing's filters
  (client/listing.ts), so the OpenAPI document can describe only its form (base64url, at most 4096 characters).
- PUT /v1/admin/tenants/{tenantId}'s `ozmap.url` and `webhook.url`, `webhook.secret`, and the fields a new tenant
  needs. A URL is refused unless it parses as a URL (WHATWG), is http(s) and carries no credentials, and a `whsec_`
  secret unless it is canonical base64 (contract/tenants.ts): a pattern in the document would either refuse values the
  API takes or take values it refuses. The PUT is an upsert: `name`, `ozmap.url` and `ozmap.apiKey` (and a
  `webhook.secret` with a first webhook) are required only when the tenant does not exist yet, which a schema cannot
  say.
- POST /v1/feasibility/batches's CSV body. The document can say only that it is text: whether it is a CSV a batch
  can be made of (a header naming `id` and `address` or `lat` and `lng`, each once, then at least one row, every quote
  closed; api/batch-csv.ts) is not a JSON Schema's to say, and such a file is refused with 400 naming the column, the
  header or the body.

The "schema-valid request rejected" failure of exactly such an answer is dropped. Any other failure, of those
operations or any other, and a 400 that names anything besides those fields, still fails the run.
"""

import json

import schemathesis

RELAXED = {
    "GET /v1/reservations": {"pageToken"},
    "PUT /v1/admin/tenants/{tenantId}": {"name", "ozmap.url", "ozmap.apiKey", "webhook.url", "webhook.secret"},
    "POST /v1/feasibility/batches": {"(header)", "(body)", "id", "address", "lat", "lng", "name", "code"},
}


@schemathesis.hook
def filter_failure(context, failure, case, response):
    relaxed = RELAXED.get(case.operation.label)
    if failure.code != "ST202" or relaxed is None or response.status_code != 400:
        return True
    try:
        fields = {problem["field"] for problem in json.loads(response.content)["details"]}
    except (ValueError, KeyError, TypeError):
        return True
    return not fields or not fields <= relaxed

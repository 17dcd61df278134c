// DELETE /api/v1/admin/customers/:email — erases a customer address (pseudonym everywhere, raw mail and
// attachments deleted, audit entry kept). Instance admins; others get 404. A repeat is a no-op (`erased: false`).
import { apiRoute, json } from "@/lib/api/handler";
import { describeErasure, eraseCustomer } from "@/lib/privacy/erase-customer";

export const dynamic = "force-dynamic";

export const DELETE = apiRoute<{ email: string }>(
  async ({ actor, params }) => {
    const result = await eraseCustomer(actor, params.email);
    return json({
      pseudonym: result.pseudonym,
      erased: result.erased,
      counts: result.counts,
      previously_erased_at: result.previouslyErasedAt?.toISOString() ?? null,
      message: describeErasure(result),
    });
  },
  { write: true },
);


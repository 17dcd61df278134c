// GET /api/v1/admin/customers/:email/export — everything held about a customer address, as one JSON document
// (instance admins; others get 404).
import { apiRoute, json } from "@/lib/api/handler";
import { exportCustomer } from "@/lib/privacy/export-customer";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ email: string }>(async ({ actor, params }) => {
  const document = await exportCustomer(actor, params.email);
  return json(document, { headers: { "Content-Disposition": `attachment; filename="customer-export.json"`, "Cache-Control": "no-store" } });
});

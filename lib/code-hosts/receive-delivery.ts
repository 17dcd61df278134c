// The code-host webhook, for both hosts: cap the body, check the signature, store the delivery, process it,
// answer. Wrong signature → 401 and nothing stored; anything stored is answered 2xx and never lost.
import { createHash } from "node:crypto";
import { claimDelivery, findWebhookRepository, reopenFailedDelivery, retryDeliveryLater, storeDelivery } from "@/lib/data/code-host-deliveries";
import { isTransientDatabaseError } from "@/lib/db/transient";
import { env } from "@/lib/env";
import { crashPoint } from "@/lib/fault-injection";
import { readCappedBody } from "@/lib/read-capped-body";
import { deliverSoon } from "@/lib/mail/deliver-soon";
import { processDelivery } from "./process-delivery";
import { deliveryRetryAt, recoverDeliveriesSoon } from "./recover-deliveries";
import { openSecret, verifyGitHubSignature, verifyGitLabToken } from "./secret";
import type { Provider } from "./types";

/** GitHub caps payloads at 25 MB, but a push or merge request that matters here is far smaller. */
export const MAX_DELIVERY_BYTES = 5 * 1024 * 1024;

/** How long a processing holds a delivery before the sweeper may take it over: the same as stored mail's. */
export const deliveryLeaseSeconds = () => env().INBOUND_LEASE_SECONDS;

const answer = (status: number, body: Record<string, unknown>) => Response.json(body, { status });

const HEADERS: Record<Provider, { event: string; delivery: string }> = {
  github: { event: "x-github-event", delivery: "x-github-delivery" },
  gitlab: { event: "x-gitlab-event", delivery: "x-gitlab-event-uuid" },
};

export async function receiveDelivery(provider: Provider, repositoryId: string, request: Request): Promise<Response> {
  const repository = /^\d{1,10}$/.test(repositoryId) ? await findWebhookRepository(provider, Number(repositoryId)) : null;
  if (!repository) return answer(404, { message: "404 Repository Not Found", hint: "This webhook URL names no linked repository (it was unlinked?)." });
  const body = await readCappedBody(request, MAX_DELIVERY_BYTES);
  if (!body) return answer(413, { message: `Payload over ${MAX_DELIVERY_BYTES / 1048576} MB.` });

  const secret = openSecret(repository.secretSealed);
  if (!secret) return answer(401, { message: "The webhook secret can no longer be read (AUTH_SECRET changed?): regenerate it in the project's settings." });
  const valid = provider === "github" ? verifyGitHubSignature(secret, body, request.headers.get("x-hub-signature-256")) : verifyGitLabToken(secret, request.headers.get("x-gitlab-token"));
  if (!valid)
    return answer(401, { message: provider === "github" ? "Invalid or missing X-Hub-Signature-256." : "Invalid or missing X-Gitlab-Token." });

  const event = request.headers.get(HEADERS[provider].event)?.trim() ?? "";
  const deliveryKey = request.headers.get(HEADERS[provider].delivery)?.trim() || `sha256:${createHash("sha256").update(body).digest("hex")}`;
  let stored;
  try {
    stored = await storeDelivery({ repositoryId: repository.id, event, deliveryKey, payload: body, leaseSeconds: deliveryLeaseSeconds() });
  } catch (error) {
    console.error("code-host delivery could not be stored:", error);
    return answer(503, { status: "failed", message: "Could not store the delivery; please redeliver it." });
  }
  crashPoint("delivery-after-store");
  if (!stored.created) {
    // A redelivery: repeat what the first one did, finish it when an interrupted processing left it, or try a
    // given-up one again (a person pressed "Redeliver": every effect is keyed, so nothing happens twice).
    const retry = stored.status === "failed" && (await reopenFailedDelivery(stored.id, deliveryLeaseSeconds()));
    if (!retry && stored.status !== "received") return answer(200, { status: "duplicate", delivery_id: stored.id, outcome: stored.outcome });
    if (!retry && !(await claimDelivery(stored.id, deliveryLeaseSeconds())))
      return answer(202, { status: "received", delivery_id: stored.id, message: "Already being processed." });
  }
  try {
    const result = await processDelivery(stored.id);
    if (!result) return answer(202, { status: "received", delivery_id: stored.id });
    if (result.outboxIds.length) deliverSoon(result.outboxIds);
    crashPoint("delivery-before-answer");
    return answer(result.status === "ignored" ? 202 : 200, {
      status: result.status,
      delivery_id: stored.id,
      outcome: result.outcome,
      closed: result.closed,
      mentioned: result.mentioned,
    });
  } catch (error) {
    // Stored is safe: the sweeper (recover-deliveries.ts) tries again; hosts do not redeliver by themselves.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`code-host delivery ${stored.id} failed${isTransientDatabaseError(error) ? " (database unavailable)" : ""}:`, error);
    await retryDeliveryLater(stored.id, deliveryRetryAt(new Date(), 1), message).catch(() => undefined);
    return answer(202, { status: "received", delivery_id: stored.id, message: "Stored; it will be processed shortly." });
  } finally {
    // Deliveries an earlier request left unfinished: hosts never resend them, so each request sweeps (throttled).
    recoverDeliveriesSoon();
  }
}

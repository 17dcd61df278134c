// Erasure on request (`customer:erase`, DELETE /api/v1/admin/customers/:email): the address and the display
// names it wrote under become a stable pseudonym everywhere, raw mail and attachments go, counters are
// cleared, and an audit entry records who did it and how many rows of each table changed.
import type { Actor } from "@/lib/auth/actor";
import { db } from "@/lib/db/client";
import {
  deleteCounters,
  deleteCustomerAttachments,
  deleteVerificationTokens,
  heldInboundMentioning,
  lastErasure,
  lockAddress,
  purgeInboundPayloads,
  purgeOutboundToCustomer,
  recordErasure,
  replaceEverywhere,
  storedHeaderSummaries,
  userWithEmailExists,
} from "@/lib/data/customers";
import { AppError } from "@/lib/errors";
import { parseAddresses } from "@/lib/mail/inbound/headers";
import { addressPattern, customerAddress, mailboxForm, pseudonymFor, replacementPattern, requireInstanceAdmin } from "./customer-address";
import { headersSummary, type HeadersSummary } from "./headers-summary";

export interface ErasureResult {
  pseudonym: string;
  /** False for a no-op: nothing held the address (any more). */
  erased: boolean;
  /** Rows changed per table (`<table> (deleted)` for deletions); empty for a no-op. */
  counts: Record<string, number>;
  /** When the address was erased before, for a no-op after an earlier erasure. */
  previouslyErasedAt: Date | null;
}

/** Names the customer's From lines gave (`Jake Customer <jake@…>`). */
function namesIn(summaries: unknown[], address: string): string[] {
  const names: string[] = [];
  for (const summary of summaries) {
    if (!Array.isArray(summary)) continue;
    const from = (summary as HeadersSummary).filter((h) => h && (h.name === "from" || h.name === "reply-to" || h.name === "cc")).map((h) => h.value);
    for (const entry of parseAddresses(from)) if (entry.address === address && entry.name) names.push(entry.name);
  }
  return names;
}

export async function eraseCustomer(actor: Actor | null, email: string): Promise<ErasureResult> {
  requireInstanceAdmin(actor);
  const address = customerAddress(email);
  const pseudonym = pseudonymFor(address);
  // A team member's account is not a customer record: renaming it would break their sign-in and history.
  if (await userWithEmailExists(address))
    throw new AppError("conflict", `${address} belongs to a user account; erasure covers customers who only wrote in by mail. Remove or rename the account first.`);

  const now = new Date();
  const counts = await db().$transaction(
    async (tx) => {
      await lockAddress(tx, pseudonym);
      const counts: Record<string, number> = {};
      const add = (key: string, n: number) => {
        if (n > 0) counts[key] = (counts[key] ?? 0) + n;
      };

      const held = await heldInboundMentioning(tx, address);
      const summaries = await Promise.all(held.map(async (row) => ({ id: row.id, summary: await headersSummary(new Uint8Array(row.payload), row.payload_content_type) })));
      const names = namesIn([...summaries.map((s) => s.summary), ...(await storedHeaderSummaries(tx, address))], address);

      add("attachments (deleted)", await deleteCustomerAttachments(tx, address, held.map((row) => row.id)));
      add("inbound_emails (payload deleted)", await purgeInboundPayloads(tx, summaries, now));
      add("outbound_emails (body deleted)", await purgeOutboundToCustomer(tx, address, now));
      add("rate_limit_counters (deleted)", await deleteCounters(tx, [addressPattern(address), addressPattern(mailboxForm(address))]));
      add("verification_tokens (deleted)", await deleteVerificationTokens(tx, address));
      for (const [table, n] of Object.entries(await replaceEverywhere(tx, replacementPattern(address, names), pseudonym))) add(table, n);

      if (Object.keys(counts).length) await recordErasure(tx, { pseudonym, actorId: actor.id, actorName: `${actor.username} <${actor.email}>`, counts });
      return counts;
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
  const erased = Object.keys(counts).length > 0;
  const previous = erased ? null : await lastErasure(pseudonym);
  return { pseudonym, erased, counts, previouslyErasedAt: previous?.createdAt ?? null };
}

/** One line for the CLI and the API: what happened, and for a no-op why nothing did. */
export function describeErasure(result: ErasureResult): string {
  if (result.erased)
    return `Erased: the address is now ${result.pseudonym} (${Object.entries(result.counts).map(([table, n]) => `${table}: ${n}`).join(", ")}).`;
  return result.previouslyErasedAt
    ? `Nothing to erase: this address was already erased (${result.previouslyErasedAt.toISOString()}).`
    : "Nothing to erase: no data is held for this address.";
}

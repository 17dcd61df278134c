// Webhook deliveries from code hosts, for the webhook route and the sweeper (no signed-in actor: a delivery is
// authenticated by its repository's secret). Stored before they are read, leased while processed.
import { db } from "@/lib/db/client";

/** The linked repository a webhook URL names, with what checking and applying a delivery needs. */
export async function findWebhookRepository(provider: string, id: number) {
  if (!Number.isInteger(id) || id < 1 || id > 2_147_483_647) return null;
  return db().codeRepository.findFirst({
    where: { id, provider },
    select: {
      id: true,
      provider: true,
      fullPath: true,
      baseUrl: true,
      secretSealed: true,
      project: { select: { id: true, fullPath: true, issueReferenceKey: true } },
    },
  });
}

export type WebhookRepository = NonNullable<Awaited<ReturnType<typeof findWebhookRepository>>>;

export interface StoredDelivery {
  id: string;
  /** False when this delivery key was stored before (a redelivery). */
  created: boolean;
  status: string;
  outcome: string | null;
}

/**
 * Stores a delivery, leased to the caller for `leaseSeconds`. A redelivery (same key) stores nothing and
 * answers the first one's row, so its outcome can be repeated and an unfinished one finished.
 */
export async function storeDelivery(input: { repositoryId: number; event: string; deliveryKey: string; payload: Uint8Array; leaseSeconds: number }): Promise<StoredDelivery> {
  const deliveryKey = input.deliveryKey.slice(0, 200);
  // ON CONFLICT DO NOTHING: two copies arriving at once store one row and both read it back.
  const { count } = await db().codeHostDelivery.createMany({
    data: [
      {
        repositoryId: input.repositoryId,
        event: input.event.slice(0, 100),
        deliveryKey,
        payload: Buffer.from(input.payload),
        size: input.payload.byteLength,
        attempts: 1,
        lockedUntil: new Date(Date.now() + input.leaseSeconds * 1000),
      },
    ],
    skipDuplicates: true,
  });
  const row = await db().codeHostDelivery.findUniqueOrThrow({
    where: { repositoryId_deliveryKey: { repositoryId: input.repositoryId, deliveryKey } },
    select: { id: true, status: true, outcome: true },
  });
  return { ...row, created: count === 1 };
}

/**
 * Takes the lease of an unfinished delivery whose lease ran out (or was never taken); false when someone holds
 * it. `attempts` is what the caller read: the claim holds only if nobody claimed since. The lease doubles with
 * each attempt (up to an hour), so a delivery that kills its process every time costs little while it lasts.
 */
export async function claimDelivery(id: string, leaseSeconds: number, now = new Date(), attempts?: number): Promise<boolean> {
  const seen = attempts ?? (await db().codeHostDelivery.findUnique({ where: { id }, select: { attempts: true } }))?.attempts ?? 0;
  const lease = Math.min(leaseSeconds * 2 ** Math.min(Math.max(seen - 1, 0), 12), 3600);
  const claimed = await db().codeHostDelivery.updateMany({
    where: { id, attempts: seen, status: "received", OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
    data: { lockedUntil: new Date(now.getTime() + lease * 1000), attempts: { increment: 1 } },
  });
  return claimed.count === 1;
}

/** A given-up delivery sent again by a person (GitHub's "Redeliver"): back to `received`, leased to the caller. */
export async function reopenFailedDelivery(id: string, leaseSeconds: number, now = new Date()): Promise<boolean> {
  const reopened = await db().codeHostDelivery.updateMany({
    where: { id, status: "failed" },
    data: { status: "received", receivedAt: now, attempts: { increment: 1 }, lockedUntil: new Date(now.getTime() + leaseSeconds * 1000), processedAt: null },
  });
  return reopened.count === 1;
}

/** A stored delivery with its repository, for processing. */
export async function loadDelivery(id: string) {
  return db().codeHostDelivery.findUnique({
    where: { id },
    select: {
      id: true,
      event: true,
      payload: true,
      status: true,
      attempts: true,
      receivedAt: true,
      repository: {
        select: { id: true, provider: true, fullPath: true, baseUrl: true, secretSealed: true, project: { select: { id: true, fullPath: true, issueReferenceKey: true } } },
      },
    },
  });
}

export interface DeliveryOutcome {
  status: "processed" | "ignored" | "failed";
  summary: string;
  sender: string | null;
  outcome: string;
  error?: string | null;
  defaultBranch?: string | null;
}

/** Records what a delivery did, and on its repository the time and result of the last delivery. */
export async function finishDelivery(id: string, repositoryId: number, result: DeliveryOutcome, now = new Date()): Promise<void> {
  await db().$transaction([
    db().codeHostDelivery.update({
      where: { id },
      data: {
        status: result.status,
        summary: result.summary.slice(0, 500),
        sender: result.sender?.slice(0, 255) ?? null,
        outcome: result.outcome.slice(0, 10_000),
        error: result.error ?? null,
        processedAt: now,
        lockedUntil: null,
      },
    }),
    db().codeRepository.update({
      where: { id: repositoryId },
      data: {
        lastDeliveryAt: now,
        lastDeliveryStatus: result.status,
        lastDeliverySummary: `${result.summary}: ${result.outcome}`.slice(0, 500),
        ...(result.defaultBranch ? { defaultBranch: result.defaultBranch.slice(0, 255) } : {}),
      },
    }),
  ]);
}

/** Leaves a delivery whose processing failed for another try at `retryAt` (the sweeper takes it then). */
export async function retryDeliveryLater(id: string, retryAt: Date, error: string): Promise<void> {
  await db().codeHostDelivery.updateMany({ where: { id, status: "received" }, data: { lockedUntil: retryAt, error: error.slice(0, 2000) } });
}

/** Unfinished deliveries whose lease ran out, oldest first. */
export async function dueDeliveries(now: Date, limit: number): Promise<{ id: string; receivedAt: Date; attempts: number }[]> {
  return db().codeHostDelivery.findMany({
    where: { status: "received", OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
    orderBy: { receivedAt: "asc" },
    take: limit,
    select: { id: true, receivedAt: true, attempts: true },
  });
}

/** Unfinished deliveries, for /api/health. */
export async function deliveryBacklog(now = new Date()): Promise<{ received: number; stuck: number }> {
  const [received, stuck] = await Promise.all([
    db().codeHostDelivery.count({ where: { status: "received" } }),
    db().codeHostDelivery.count({ where: { status: "received", lockedUntil: { lt: new Date(now.getTime() - 5 * 60_000) } } }),
  ]);
  return { received, stuck };
}

// The contract between the mailbox poller (lock, store-first intake, poll state) and each mailbox protocol
// (IMAP, Microsoft Graph): a connector lists what is in the source folder and clears a message only after
// the poller has stored it.

/** One message as fetched, byte for byte. */
export interface FetchedMessage {
  /** Stable id within the source folder: the IMAP UID (as a string, with UIDVALIDITY) or the Graph message id. */
  uid: string;
  /** The full RFC 822 source. */
  raw: Uint8Array;
}

/**
 * A message the source keeps failing to hand over, which the connector has moved aside (quarantined) so it no
 * longer fails every poll: the poller records it as ignored, with the reason, and goes on.
 */
export interface QuarantinedMessage {
  uid: string;
  quarantined: { reason: string; messageId?: string; from?: string; subject?: string };
}

export interface MailboxConnector {
  /** For logs and the stored mail's `source`, e.g. `imap:support@example.com/INBOX` or `graph:support@example.com`. */
  readonly source: string;
  /**
   * Every message still in the source folder, oldest first — never a date window, so nothing is skipped.
   * Yields at most `limit` messages (one bounded poll for serverless callers).
   */
  messages(limit: number): AsyncIterable<FetchedMessage | QuarantinedMessage>;
  /** Called only after the message is stored: move it to the processed folder, or delete/expunge it. */
  markDone(uid: string): Promise<void>;
  /** Waits until new mail may have arrived (IMAP IDLE, or sleeping for the poll interval), or until `signal` aborts. */
  waitForMail(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

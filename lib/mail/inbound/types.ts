// The normalized form of one inbound mail, whichever SendGrid mode delivered it: what intake works on.
export interface MailAddress {
  /** Lower-cased address, e.g. "jake@example.com". */
  address: string;
  name?: string;
}

export interface InboundAttachment {
  filename: string;
  contentType: string;
  content: Uint8Array;
  size: number;
  contentId?: string;
  disposition?: "attachment" | "inline";
}

export interface InboundMessage {
  mode: "parsed" | "raw";
  /** Message-ID without angle brackets, or undefined when the mail has none. */
  messageId?: string;
  /** Message-IDs of In-Reply-To / References, without angle brackets, in header order. */
  inReplyTo: string[];
  references: string[];
  /** Decoded subject ("" when missing). */
  subject: string;
  from?: MailAddress;
  sender?: MailAddress;
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  /** Every header by lower-case name, values decoded to text (RFC 2047), in order of appearance. */
  headers: Record<string, string[]>;
  /** SendGrid's envelope (SMTP MAIL FROM / RCPT TO), lower-cased; empty when absent. */
  envelope: { from?: string; to: string[] };
  /** Top-level MIME type, lower-case, e.g. "multipart/report" (undefined when unknown). */
  contentType?: string;
  text?: string;
  html?: string;
  attachments: InboundAttachment[];
  /** SendGrid's spam_score when it sent one. */
  spamScore?: number;
  /** The IP address of the server that handed SendGrid the mail (`sender_ip`), when known. */
  senderIp?: string;
  /** What could not be decoded cleanly (unknown charset, broken part…): the message is still usable. */
  warnings: string[];
}

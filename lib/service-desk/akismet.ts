// Optional Akismet check of new requests (when AKISMET_API_KEY is set). It fails open: when Akismet cannot
// be asked, the mail is taken — losing a customer's mail is worse than letting one spam through.
import { env } from "@/lib/env";
import type { InboundMessage } from "@/lib/mail/inbound/types";

export type AkismetVerdict = "spam" | "ham" | "unknown";

export async function akismetVerdict(message: InboundMessage, author: string): Promise<AkismetVerdict> {
  const { AKISMET_API_KEY: key, AKISMET_API_BASE_URL: base, APP_URL } = env();
  if (!key) return "unknown";
  const form = new URLSearchParams({
    api_key: key,
    blog: APP_URL,
    user_ip: message.senderIp ?? "",
    comment_type: "contact-form",
    comment_author: message.from?.name ?? "",
    comment_author_email: author,
    comment_content: `${message.subject}\n\n${message.text ?? message.html ?? ""}`.slice(0, 50_000),
  });
  try {
    const response = await fetch(`${base}/1.1/comment-check`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form,
      signal: AbortSignal.timeout(5_000),
    });
    const verdict = (await response.text()).trim();
    if (response.ok && verdict === "true") return "spam";
    if (response.ok && verdict === "false") return "ham";
    console.warn(`Akismet answered ${response.status} "${verdict.slice(0, 80)}": taking the mail.`);
    return "unknown";
  } catch (error) {
    console.warn(`Akismet unreachable (${(error as Error).message}): taking the mail.`);
    return "unknown";
  }
}

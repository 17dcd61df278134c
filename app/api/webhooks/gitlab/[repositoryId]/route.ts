// GitLab webhook of a linked repository: signed deliveries close and link this project's issues (lib/code-hosts).
import { receiveDelivery } from "@/lib/code-hosts/receive-delivery";

export const dynamic = "force-dynamic";
export const maxDuration = 60;

export async function POST(request: Request, context: { params: Promise<{ repositoryId: string }> }) {
  return receiveDelivery("gitlab", (await context.params).repositoryId, request);
}

// Whether Service Desk is on, for many projects at once (project lists, REST project JSON). Not secret: the
// address is what only Maintainers see, and that lives in lib/data/service-desk.ts.
import { db } from "@/lib/db/client";

export async function serviceDeskEnabledFor(projectIds: number[]): Promise<Set<number>> {
  if (projectIds.length === 0) return new Set();
  const rows = await db().serviceDeskSetting.findMany({ where: { projectId: { in: projectIds }, enabled: true }, select: { projectId: true } });
  return new Set(rows.map((row) => row.projectId));
}

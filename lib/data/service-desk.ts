// Service Desk settings of a project as the team sees them: on/off and the address (Maintainer and up).
import type { Actor } from "@/lib/auth/actor";
import { can } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { aliasAddress, serviceDeskAddress } from "@/lib/service-desk/address";
import { loadProjectAccess, requireProject } from "./access";

export interface ServiceDeskView {
  enabled: boolean;
  /** Only for Maintainers and up: the internal address is never shown below that role. */
  address: string | null;
  aliasAddress: string | null;
}

export async function getServiceDesk(actor: Actor | null, projectPath: string): Promise<ServiceDeskView> {
  const { project, role } = await loadProjectAccess(actor, projectPath);
  const settings = await db().serviceDeskSetting.findUnique({ where: { projectId: project.id }, select: { enabled: true, projectKey: true } });
  const seesAddress = can(role, "service_desk:address");
  return {
    enabled: settings?.enabled ?? false,
    address: seesAddress ? serviceDeskAddress(project) : null,
    aliasAddress: seesAddress ? aliasAddress(project, settings?.projectKey) : null,
  };
}

export async function setServiceDeskEnabled(actor: Actor | null, projectPath: string, enabled: boolean): Promise<ServiceDeskView> {
  const { project } = await requireProject(actor, projectPath, "project:settings");
  await db().serviceDeskSetting.upsert({
    where: { projectId: project.id },
    create: { projectId: project.id, enabled },
    update: { enabled },
  });
  return getServiceDesk(actor, projectPath);
}

// A project's mail log (Maintainers): the mail that came in for this project and the mail its issues sent.
import type { Metadata } from "next";
import { mailLogHref, MailLog } from "@/app/_components/mail-log";
import { PageHeader } from "@/app/_components/ui";
import { projectFromParams, type ProjectParams } from "../project-context";

export const metadata: Metadata = { title: "Mail log" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default async function ProjectMailLogPage({ params, searchParams }: { params: Promise<ProjectParams>; searchParams: SearchParams }) {
  const { actor, project } = await projectFromParams(params);
  const base = `/${project.fullPath}/mail-log`;
  return (
    <>
      <PageHeader title="Mail log" description="Mail received for this project's Service Desk and mail sent from its issues." />
      <MailLog
        actor={actor}
        scope={{ projectPath: project.fullPath }}
        searchParams={await searchParams}
        links={{ list: (params) => mailLogHref(base, params), inbound: (id) => `/admin/mail/inbound/${id}` }}
      />
    </>
  );
}

// GET /api/v4/projects/:id/members/all — GitLab's members including inherited ones; this app has no groups, so the
// same list as /members.
export { GET } from "../route";

export const dynamic = "force-dynamic";

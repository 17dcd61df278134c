import { it } from "vitest";
import { createProject } from "@/lib/data/projects";
import { makeUser, uniqueProjectPath } from "/work/main/tests/integration/helpers";
it("dup", async () => {
  const u = await makeUser("x");
  const p = uniqueProjectPath();
  await createProject(u, p);
  try { await createProject(u, p); } catch (e: any) {
    console.log(e.constructor.name, e.name, e.code, JSON.stringify(e.meta), e.message);
    console.log("cause", e.cause, Object.keys(e));
  }
});

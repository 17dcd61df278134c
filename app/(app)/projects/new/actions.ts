"use server";
// Server action entry point: create a project (the actor becomes its Owner).
import { action } from "@/lib/auth/action";
import { createProject } from "@/lib/data/projects";
import { createProjectSchema } from "@/lib/schemas";

export const createProjectAction = action(createProjectSchema, (input, actor) => createProject(actor, input));

// The REST API's To-Do: GitLab's todo JSON of a TodoView (lib/data/todos.ts).
import { userJson } from "@/lib/api/resources";
import type { TodoView } from "@/lib/data/todos";
import { env } from "@/lib/env";

export function todoJson(todo: TodoView) {
  const issueUrl = `${env().APP_URL}/${todo.project.fullPath}/issues/${todo.issue.iid}`;
  return {
    id: todo.id,
    project: { id: todo.project.id, name: todo.project.name, path_with_namespace: todo.project.fullPath },
    author: userJson(todo.author),
    action_name: todo.action,
    target_type: "Issue",
    target: {
      id: todo.issue.id,
      iid: todo.issue.iid,
      project_id: todo.project.id,
      title: todo.issue.title,
      state: todo.issue.state === "CLOSED" ? "closed" : "opened",
      confidential: todo.issue.confidential,
      web_url: issueUrl,
    },
    target_url: todo.noteId ? `${issueUrl}#note_${todo.noteId}` : issueUrl,
    body: todo.body,
    state: todo.state,
    created_at: todo.createdAt.toISOString(),
    updated_at: todo.updatedAt.toISOString(),
  };
}

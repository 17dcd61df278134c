// GitLab's notification levels, and which events each level hears about. Pure: the settings UI imports it too.

export const NOTIFICATION_LEVELS = ["global", "watch", "participating", "mention", "disabled"] as const;
export type NotificationLevel = (typeof NOTIFICATION_LEVELS)[number];
/** A user's default (the profile): every level but "global", which means "use the default". */
export const DEFAULT_LEVELS = ["watch", "participating", "mention", "disabled"] as const;
export type DefaultLevel = (typeof DEFAULT_LEVELS)[number];

export const LEVEL_LABELS: Record<NotificationLevel, { title: string; description: string }> = {
  global: { title: "Global", description: "Use your default level (profile → Notifications)." },
  watch: { title: "Watch", description: "Every new request, customer reply and comment in the project." },
  participating: { title: "Participating", description: "Issues you take part in: assigned, commented, subscribed; and @mentions." },
  mention: { title: "On mention", description: "Only when someone @mentions you." },
  disabled: { title: "Disabled", description: "No notification mail (To-Dos still appear)." },
};

export function isNotificationLevel(value: unknown): value is NotificationLevel {
  return typeof value === "string" && (NOTIFICATION_LEVELS as readonly string[]).includes(value);
}

/** The level that applies: the project's, or the user's default when the project's is "global" (or unset). */
export function effectiveLevel(projectLevel: string | null | undefined, userDefault: string): DefaultLevel {
  const level = projectLevel && projectLevel !== "global" ? projectLevel : userDefault;
  return (DEFAULT_LEVELS as readonly string[]).includes(level) ? (level as DefaultLevel) : "participating";
}

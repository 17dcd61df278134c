// A label as a coloured pill, with black or white text, whichever reads better on the label's colour.
// No hooks: the server sidebar and the client picker both render it.
import { cx } from "@/app/_components/ui";

const HEX = /^#[0-9a-f]{6}$/i;

function luminance(color: string): number {
  const channel = (i: number) => {
    const c = parseInt(color.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

const DARK = "#1f2937";

/** Dark or white text, whichever contrasts more with the label's colour (WCAG's contrast ratio). */
export function labelTextColor(color: string): string {
  if (!HEX.test(color)) return "#ffffff";
  const l = luminance(color);
  return (l + 0.05) / (luminance(DARK) + 0.05) > 1.05 / (l + 0.05) ? DARK : "#ffffff";
}

export function LabelChip({ title, color, description, className }: { title: string; color: string; description?: string; className?: string }) {
  const background = HEX.test(color) ? color : "#808080";
  return (
    <span
      title={description || undefined}
      className={cx("inline-flex max-w-full items-center truncate rounded-full px-2 py-0.5 text-xs font-medium", className)}
      style={{ backgroundColor: background, color: labelTextColor(background) }}
    >
      {title}
    </span>
  );
}

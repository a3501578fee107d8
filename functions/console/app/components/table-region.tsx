import type { ComponentChildren } from 'preact';

/** A wide table on a narrow screen scrolls sideways; the region takes focus so a keyboard can scroll it. */
export function TableRegion({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-region" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

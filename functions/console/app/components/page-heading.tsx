import { useEffect, useRef } from 'preact/hooks';

/**
 * The page's title, focused when the page opens so keyboard and screen-reader users start there.
 * `page` says when it is another page (the title by default): a title that only fills in or follows
 * a choice made on the page (the usage page's owner) must not pull the focus away from that choice.
 */
export function PageHeading({ title, page }: { title: string; page?: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, [page ?? title]);
  useEffect(() => {
    document.title = `${title} · keyward console`;
  }, [title]);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {title}
    </h1>
  );
}

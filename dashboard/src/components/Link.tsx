import type { MouseEvent, ReactNode } from 'react';
import { useRouter } from '../hooks/useRoute.js';

/** A link within the dashboard: a real href (open in a new tab, copy), followed without reloading. */
export function Link({ to, children, className, testId, title }: { to: string; children: ReactNode; className?: string; testId?: string; title?: string }) {
  const { navigate } = useRouter();
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={follow} className={className} data-testid={testId} title={title}>
      {children}
    </a>
  );
}

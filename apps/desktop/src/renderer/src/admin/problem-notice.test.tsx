// @vitest-environment jsdom
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError } from '../api/api-error.ts';
import { ProblemNotice } from './problem-notice.tsx';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

function render(element: React.ReactElement): HTMLElement {
  const container = document.createElement('div');
  const root = createRoot(container);
  act(() => {
    root.render(element);
  });
  return container;
}

describe('ProblemNotice', () => {
  it('shows the problem, each invalid field under the label the form uses, and the request id', () => {
    const error = new ApiError(400, 'validation_failed', 'The request is not valid', 'req-7', [
      { path: 'password', message: 'at least 12 characters' },
      { path: 'zoneIds.0', message: 'Invalid UUID' },
    ]);

    const notice = render(
      <ProblemNotice error={error} fieldLabels={{ password: 'Initial password', zoneIds: 'Zones' }} />,
    );

    const alert = notice.querySelector('[role="alert"]');
    expect(alert?.getAttribute('data-code')).toBe('validation_failed');
    expect(alert?.textContent).toContain('The request is not valid');
    expect([...notice.querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      'Initial password: at least 12 characters',
      'Zones: Invalid UUID',
    ]);
    expect(alert?.textContent).toContain('Request req-7');
  });

  it('says when the server cannot be reached', () => {
    const notice = render(<ProblemNotice error={new NetworkError('https://scada.example')} />);

    expect(notice.textContent).toContain('Cannot reach https://scada.example');
  });
});

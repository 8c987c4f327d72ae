import { ApiError, describeError } from '../api/api-error.ts';

/**
 * What the server refused and why, for an admin: the problem's message, each invalid field under the label
 * the form shows for it, and the request id support can look up.
 */
export function ProblemNotice({
  error,
  fieldLabels = {},
  testId,
}: {
  error: unknown;
  fieldLabels?: Readonly<Record<string, string>>;
  testId?: string;
}) {
  if (!(error instanceof ApiError)) {
    return (
      <div role="alert" className="notice notice--error admin__problem" data-testid={testId}>
        {describeError(error)}
      </div>
    );
  }
  return (
    <div
      role="alert"
      className="notice notice--error admin__problem"
      data-testid={testId}
      data-code={error.code}
    >
      <p>{error.message}</p>
      {error.fieldErrors.length > 0 ? (
        <ul>
          {error.fieldErrors.map((field) => (
            <li key={`${field.path} ${field.message}`}>
              {fieldLabels[field.path.split('.')[0] ?? ''] ?? field.path}: {field.message}
            </li>
          ))}
        </ul>
      ) : null}
      {error.requestId ? <p className="admin__muted">Request {error.requestId}</p> : null}
    </div>
  );
}

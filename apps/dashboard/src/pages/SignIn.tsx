import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, type Session, setCsrfToken } from '../api.ts';
import { ErrorState } from '../states.tsx';

/** The secret is sent once and exchanged for an HttpOnly session cookie; the page keeps nothing. */
export function SignIn() {
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<'apiKey' | 'opsToken'>('apiKey');
  const [secret, setSecret] = useState('');
  const signIn = useMutation({
    mutationFn: () => api<Session>('/v1/dashboard/session', { method: 'POST', body: { [mode]: secret } }),
    onSuccess: (session) => {
      setCsrfToken(session.csrfToken);
      setSecret('');
      queryClient.setQueryData(['session'], session);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate();
  };
  return (
    <main className="sign-in">
      <h1>Sign in to Warren</h1>
      <form onSubmit={submit}>
        <fieldset>
          <legend>Sign in as</legend>
          <label>
            <input type="radio" name="mode" checked={mode === 'apiKey'} onChange={() => setMode('apiKey')} /> Tenant admin (API key)
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'opsToken'} onChange={() => setMode('opsToken')} /> Operator (ops token)
          </label>
        </fieldset>
        <label htmlFor="secret">{mode === 'apiKey' ? 'API key' : 'Ops token'}</label>
        <input id="secret" type="password" autoComplete="off" required value={secret} onChange={(e) => setSecret(e.target.value)} />
        <button type="submit" disabled={signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        {signIn.error ? <ErrorState error={signIn.error} /> : null}
      </form>
      <p className="hint">The key is exchanged for a session cookie that expires; it is not stored in the browser.</p>
    </main>
  );
}

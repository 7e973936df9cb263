import { describe, expect, test } from 'vitest';
import { renderErrorPage, renderSignInPage } from './pages.ts';

describe('pages', () => {
  test('values are escaped: the five HTML-significant characters', async () => {
    const html = await renderErrorPage({ error: `<a href="x" title='y'>&</a>` });
    expect(html).toContain('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  test('the sign-in page escapes every value it shows and never has a password value', async () => {
    const html = await renderSignInPage({
      uid: 'abc',
      clientName: '<img src=x onerror=alert(1)>',
      email: '"><script>x</script>',
      error: '<b>bad</b>',
    });
    expect(html).not.toMatch(/<img|<script|<b>/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(html).toContain('action="/interaction/abc/login"');
    expect(html).toMatch(
      /<input id="password" name="password" type="password" required autocomplete="current-password">/
    );
  });

  test('the error page escapes keys and values', async () => {
    const html = await renderErrorPage({ error: '<x>', error_description: undefined });
    expect(html).toContain('&lt;x&gt;');
    expect(html).not.toContain('error_description');
  });
});

// Starts KeyCare's GraphiQL. Served by the gateway (src/graphiql.rs) as a file of its own, so
// the page's Content-Security-Policy needs no 'unsafe-inline'.
//
// Credentials: every request (queries, and the schema's introspection, which GraphiQL 3 sends
// with the Headers pane's headers too) carries the session cookie of browser sign-in
// (credentials: 'same-origin') and whatever the Headers pane holds, e.g. a bearer token. When
// the Authorization header changes, the schema is fetched again and the banner updated.
(function () {
  'use strict';

  var root = document.getElementById('graphiql');
  // The page's nonce for <style> elements: the dialogs' scroll lock (react-remove-scroll,
  // inside GraphiQL) adds one and reads its nonce from this global.
  window.__webpack_nonce__ = root.dataset.styleNonce;
  var endpoint = root.dataset.endpoint;
  var wsScheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  var subscriptionUrl = wsScheme + location.host + root.dataset.subscriptions;

  // The Headers pane may hold a bearer token: keep GraphiQL's state for this tab only (it
  // survives the round trip through browser sign-in, not the closing of the tab).
  var storage = window.sessionStorage;

  function sameOriginFetch(input, init) {
    return window.fetch(input, Object.assign({}, init, { credentials: 'same-origin' }));
  }

  var fetcher = GraphiQL.createFetcher({
    url: endpoint,
    subscriptionUrl: subscriptionUrl,
    fetch: sameOriginFetch,
  });

  // The headers as the Headers pane holds them (JSON text), and the Authorization among them.
  var headersText = storage.getItem('graphiql:headers') || '';
  function parsedHeaders() {
    try {
      var h = headersText.trim() ? JSON.parse(headersText) : {};
      return h && typeof h === 'object' ? h : {};
    } catch (e) {
      return {};
    }
  }
  function authorization() {
    var h = parsedHeaders();
    return h.Authorization || h.authorization || '';
  }

  // The banner: who is signed in, or where to sign in.
  var banner = document.getElementById('keycare-banner');
  var who = document.getElementById('keycare-who');
  var signedOut = document.getElementById('keycare-signed-out');
  var signOut = document.getElementById('keycare-sign-out');

  function showBanner(name) {
    if (name) {
      who.textContent = 'Signed in as ' + name + '.';
      signedOut.hidden = true;
      // Sign-out ends a browser session; a pasted token is removed from the Headers pane.
      signOut.hidden = authorization() !== '';
    } else {
      who.textContent = '';
      signedOut.hidden = false;
      signOut.hidden = true;
    }
    banner.hidden = false;
  }

  function checkSignedIn() {
    var headers = Object.assign({ 'Content-Type': 'application/json' }, parsedHeaders());
    return sameOriginFetch(endpoint, {
      method: 'POST',
      headers: headers,
      body: JSON.stringify({ query: 'query KeyCareGraphiQLWhoAmI { me { name } }' }),
    })
      .then(function (res) {
        return res.json();
      })
      .then(function (body) {
        var name = body && body.data && body.data.me && body.data.me.name;
        showBanner(name || null);
      })
      .catch(function () {
        showBanner(null);
      });
  }

  var councilForm = document.getElementById('keycare-council');
  if (councilForm) {
    councilForm.addEventListener('submit', function (event) {
      event.preventDefault();
      var slug = document.getElementById('keycare-council-slug').value.trim();
      if (!slug) return;
      var back = '/graphql?council=' + encodeURIComponent(slug);
      location.href =
        '/auth/' + encodeURIComponent(slug) + '/login?redirect=' + encodeURIComponent(back);
    });
  }
  signOut.addEventListener('submit', function (event) {
    event.preventDefault();
    sameOriginFetch('/auth/logout', { method: 'POST' }).then(function () {
      location.reload();
    });
  });

  // GraphiQL fetches the schema once, on start; a component inside it hands us the means to
  // fetch it again (with the new headers) when the Authorization header changes.
  var refetchSchema = null;
  function SchemaHandle() {
    refetchSchema = GraphiQL.React.useSchemaContext({ nonNull: true }).introspect;
    return null;
  }

  var lastAuthorization = authorization();
  var pending = null;
  function onEditHeaders(value) {
    headersText = value;
    clearTimeout(pending);
    pending = setTimeout(function () {
      var now = authorization();
      if (now === lastAuthorization) return;
      lastAuthorization = now;
      if (refetchSchema) refetchSchema();
      checkSignedIn();
    }, 600);
  }

  var defaultQuery =
    '# Sign in with your council (above), or paste a bearer token\n' +
    '# in Headers: {"Authorization": "Bearer ..."}\n' +
    '\n' +
    'query Me {\n' +
    '  me {\n' +
    '    name\n' +
    '  }\n' +
    '}\n';

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      storage: storage,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: 'headers',
      defaultQuery: defaultQuery,
      onEditHeaders: onEditHeaders,
      toolbar: { additionalComponent: SchemaHandle },
    }),
  );
  checkSignedIn();
})();

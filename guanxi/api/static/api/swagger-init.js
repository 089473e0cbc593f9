// Start Swagger UI on the API docs page (api/swagger.html). A static file, not an inline
// script, so the page keeps the site's Content-Security-Policy (script-src 'self').
(function () {
  "use strict";
  var SAFE = ["GET", "HEAD", "OPTIONS", "TRACE"];
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrfToken = document.body.dataset.csrfToken;
  config.dom_id = "#swagger-ui";
  config.presets = [window.SwaggerUIBundle.presets.apis];
  // "Try it out" from a signed-in browser uses the session cookie, which needs the
  // CSRF token for anything but a read. Requests with a bearer token do not.
  config.requestInterceptor = function (request) {
    var method = (request.method || "GET").toUpperCase();
    if (csrfToken && SAFE.indexOf(method) === -1) {
      request.headers["X-CSRFToken"] = csrfToken;
    }
    return request;
  };
  window.SwaggerUIBundle(config);
})();

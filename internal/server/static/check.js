// The public exposure check. The CURP is blinded inside check.wasm (package
// exposure compiled to WebAssembly); this script only moves the blinded
// element, the evaluated element and the buckets between the page and
// the server.
(function () {
  var form = document.getElementById("check-form");
  var btn = document.getElementById("check-submit");
  var result = document.getElementById("check-result");
  var loading = document.getElementById("check-loading");
  function b64(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }
  function show(cls, text, list) {
    result.textContent = "";
    var p = document.createElement("p");
    p.className = cls;
    p.id = "check-verdict";
    p.textContent = text;
    result.appendChild(p);
    if (list && list.length) {
      var ul = document.createElement("ul");
      ul.id = "check-cases";
      list.forEach(function (c) { var li = document.createElement("li"); li.textContent = c; ul.appendChild(li); });
      result.appendChild(ul);
    }
  }
  var go = new Go();
  WebAssembly.instantiateStreaming(fetch("/static/check.wasm"), go.importObject).then(function (r) {
    go.run(r.instance);
  }).catch(function (e) { loading.textContent = form.dataset.error + " " + e; });
  window.addEventListener("huella-ready", function () { btn.disabled = false; loading.hidden = true; });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var b = huellaBlind(document.getElementById("curp").value);
    if (b.error) { show("error", form.dataset.error + " " + b.error); return; }
    btn.disabled = true;
    var cases;
    fetch("/api/exposure/cases").then(function (r) { return r.json(); }).then(function (c) {
      cases = c.cases;
      return fetch("/api/exposure/evaluate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ blinded: b.blinded }) });
    }).then(function (r) {
      if (!r.ok) return r.text().then(function (t) { throw new Error(r.status + " " + t); });
      return r.json();
    }).then(function (e) {
      var f = huellaFinalize(b.handle, e.evaluated);
      if (f.error) throw new Error(f.error);
      return Promise.all(cases.map(function (c) {
        var i = huellaBucket(f.output, c.prefix_bits);
        return fetch("/api/exposure/cases/" + encodeURIComponent(c.id) + "/buckets/" + i)
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.arrayBuffer(); })
          .then(function (buf) { return huellaContains(b64(new Uint8Array(buf)), f.output) ? c.id : null; });
      }));
    }).then(function (hits) {
      hits = hits.filter(function (x) { return x; });
      if (hits.length) show("exposed", form.dataset.exposed, hits);
      else show("clear", form.dataset.clear);
    }).catch(function (e) {
      show("error", form.dataset.error + " " + e.message);
    }).finally(function () { btn.disabled = false; });
  });
})();

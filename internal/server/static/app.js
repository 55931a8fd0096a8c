// Leak upload with progress: the file goes as the raw body of one POST
// (upload progress from XMLHttpRequest), then the analysis job is polled.
(function () {
  var box = document.getElementById("upload");
  if (!box) return;
  var btn = document.getElementById("upload-submit");
  var input = document.getElementById("leak-file");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  function poll(job) {
    fetch("/jobs/" + job, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (j) {
      if (j.finished) {
        if (j.error) { status.textContent = box.dataset.failed + ": " + j.error; btn.disabled = false; return; }
        window.location = "/cases/" + encodeURIComponent(j.case_id);
        return;
      }
      status.textContent = box.dataset.analysing + ": " + j.stage + (j.total ? " " + Math.round(100 * j.done / j.total) + "%" : (j.done ? " " + j.done : ""));
      if (j.total) { bar.value = 100 * j.done / j.total; }
      setTimeout(function () { poll(job); }, 300);
    }).catch(function (e) { status.textContent = box.dataset.failed + ": " + e; btn.disabled = false; });
  }
  btn.addEventListener("click", function () {
    var f = input.files[0];
    if (!f) return;
    btn.disabled = true;
    bar.hidden = false;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/cases/upload");
    xhr.setRequestHeader("X-CSRF-Token", box.dataset.csrf);
    xhr.setRequestHeader("X-Filename", f.name);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = 100 * e.loaded / e.total; status.textContent = box.dataset.uploading + " " + Math.round(100 * e.loaded / e.total) + "%"; }
    };
    xhr.onload = function () {
      if (xhr.status !== 202) { status.textContent = box.dataset.failed + ": " + xhr.responseText; btn.disabled = false; return; }
      bar.value = 0;
      poll(JSON.parse(xhr.responseText).job);
    };
    xhr.onerror = function () { status.textContent = box.dataset.failed; btn.disabled = false; };
    xhr.send(f);
  });
})();

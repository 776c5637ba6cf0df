// ScanGate console: progressive enhancement only; every page works without it.
// A select in the filters applies at once.
document.addEventListener('change', function (e) {
  var el = e.target;
  if (el.tagName === 'SELECT' && el.form && el.form.classList.contains('filters')) el.form.submit();
});

// The live page: scans arrive as server-sent events, each added to the
// top of the list (as text: nothing a scan carries becomes markup), and
// the counter counts the scans since the page opened.
(function () {
  var list = document.getElementById('live-list');
  if (!list || !window.EventSource) return;
  var count = document.getElementById('live-count');
  var empty = document.getElementById('live-empty');
  var n = 0;
  var src = new EventSource('/console/live/events?after=' + encodeURIComponent(list.dataset.after || ''));
  src.onmessage = function (m) {
    var e;
    try { e = JSON.parse(m.data); } catch (err) { return; }
    if (e.type === 'scan') { n++; count.textContent = String(n); }
    if (empty) { empty.remove(); empty = null; }
    var li = document.createElement('li');
    var t = document.createElement('time');
    t.textContent = e.at || new Date(e.t).toLocaleTimeString();
    var code = document.createElement('code');
    code.textContent = e.code;
    var what = document.createElement('span');
    what.className = 'what';
    what.textContent = e.what || [e.type, e.platform, e.region, e.city, e.variant].filter(Boolean).join(' · ');
    li.append(t, ' ', code, ' ', what);
    list.prepend(li);
    while (list.children.length > 50) list.lastElementChild.remove();
  };
})();

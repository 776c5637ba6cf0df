// ScanGate console: progressive enhancement only; every page works without it.
// A select in the filters applies at once.
document.addEventListener('change', function (e) {
  var el = e.target;
  if (el.tagName === 'SELECT' && el.form && el.form.classList.contains('filters')) el.form.submit();
});

// A print button without inline script (the Content-Security-Policy allows only 'self').
(function () {
  var bar = document.currentScript && document.currentScript.parentNode;
  if (!bar) { return; }
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = "打印";
  button.addEventListener("click", function () { window.print(); });
  bar.appendChild(button);
})();

// The course site's one script. A lesson's figure sits in the page's column, smaller than
// it was drawn (for a 1920 x 1080 screen): a click shows it full screen, at the size its
// text was made for; Escape (or another click) brings the page back.
document.addEventListener("click", function (event) {
  var img = event.target.closest && event.target.closest(".jp-OutputArea-output img");
  if (!img) return;
  if (document.fullscreenElement) { document.exitFullscreen(); return; }
  if (img.requestFullscreen) img.requestFullscreen();
});

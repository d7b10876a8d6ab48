/* The check-in desk's camera scanner.

   "Scan with the camera" opens the phone's back camera (getUserMedia), reads each frame with
   jsQR (static/vendor/jsqr-1.4.0, loaded on the first scan), puts a confirmation code it finds
   into the code field and sends that form, as typing it and pressing enter would; it keeps
   scanning for the next person. Without a camera, without permission or without HTTPS it says
   so and the code is typed. The page works without this script. */
(function () {
  "use strict";

  var box = document.getElementById("scanner");
  var form = document.getElementById("code-form");
  if (!box || !form) {
    return;
  }
  var start = document.getElementById("scan-start");
  var stop = document.getElementById("scan-stop");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  // A code as the confirmation page shows it (the server reads it the same way, and checks it).
  var OURS = /^\s*G\s*\d{1,12}\s*[-\u2010-\u2015]?\s*[0-9A-F]{8}\s*$/i;
  var FRAME_MS = 200;
  var SAME_CODE_MS = 5000;
  var canvas = document.createElement("canvas");
  var context = null;
  var stream = null;
  var timer = null;
  var lastCode = "";
  var lastAt = 0;

  // Looked up each time: a check-in's answer replaces the field (empty, for the next code).
  function codeField() {
    return document.getElementById("code");
  }

  function say(key) {
    status.textContent = key ? box.dataset[key] || "" : "";
  }

  function typeInstead(key) {
    stopCamera();
    say(key);
    codeField().focus();
  }

  function loadDecoder() {
    if (window.jsQR) {
      return Promise.resolve();
    }
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = box.dataset.decoder;
      script.onload = function () { return window.jsQR ? resolve() : reject(new Error("jsQR missing")); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function startCamera() {
    if (!window.isSecureContext) {
      typeInstead("insecure");
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      typeInstead("noCamera");
      return;
    }
    say("starting");
    start.disabled = true;
    var camera = navigator.mediaDevices.getUserMedia({audio: false, video: {facingMode: {ideal: "environment"}}});
    Promise.all([camera, loadDecoder()]).then(function (results) {
      stream = results[0];
      video.srcObject = stream;
      video.hidden = false;
      start.hidden = true;
      stop.hidden = false;
      box.classList.add("scanning");
      return video.play();
    }).then(function () {
      say("scanning");
      scan();
    }).catch(function () {
      camera.then(function (s) { s.getTracks().forEach(function (t) { t.stop(); }); }, function () {});
      typeInstead("noCamera");
    }).then(function () {
      start.disabled = false;
    });
  }

  function stopCamera() {
    clearTimeout(timer);
    timer = null;
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
    }
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    start.hidden = false;
    stop.hidden = true;
    box.classList.remove("scanning");
  }

  function scan() {
    if (!stream) {
      return;
    }
    if (video.readyState >= video.HAVE_CURRENT_DATA && video.videoWidth) {
      // A frame of at most 640 px a side is plenty for a code held up to a phone, and fast.
      var scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
      var width = Math.round(video.videoWidth * scale);
      var height = Math.round(video.videoHeight * scale);
      canvas.width = width;
      canvas.height = height;
      context = context || canvas.getContext("2d", {willReadFrequently: true});
      context.drawImage(video, 0, 0, width, height);
      var found = window.jsQR(context.getImageData(0, 0, width, height).data, width, height,
                              {inversionAttempts: "dontInvert"});
      if (found && found.data) {
        read(found.data.trim());
      }
    }
    timer = setTimeout(scan, FRAME_MS);
  }

  function read(text) {
    var now = Date.now();
    if (text === lastCode && now - lastAt < SAME_CODE_MS) {
      return; // the same code still in front of the camera
    }
    lastCode = text;
    lastAt = now;
    if (!OURS.test(text)) {
      say("foreign");
      return;
    }
    say("found");
    codeField().value = text;
    if (form.requestSubmit) {
      form.requestSubmit(); // htmx sends it, as if typed and entered
    } else {
      form.submit();
    }
    setTimeout(function () { if (stream) { say("scanning"); } }, 2500);
  }

  box.hidden = false;
  start.addEventListener("click", startCamera);
  stop.addEventListener("click", function () {
    stopCamera();
    say("");
    codeField().focus();
  });
  // The camera is not kept on behind another app or tab.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && stream) {
      stopCamera();
      say("");
    }
  });
  window.addEventListener("pagehide", stopCamera);
})();

// What the page scripts share: building elements with text only (invoice text is untrusted).
"use strict";
window.dom = {
  el: function (tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  },
};

"""OCR: page images to words with boxes, the same shape as a PDF text layer.

``base`` holds the engine contract, ``registry`` the engines (built-ins and plugins), ``cleanup``
the page clean-up (orientation, deskew, contrast), ``page`` one image to one ``Page``, and
``scanned`` the PDF pages whose text layer is missing or unusable.
"""

"""Machine-learning core: offline sentence embedders and the intent head.

* :mod:`erpai.learning.embedders`: ``get_embedder(name)`` -> ``Embedder`` (``embed(texts)``).
* :mod:`erpai.learning.head`: ``IntentHead.fit / calibrate / predict / to_bytes / from_bytes``.
"""

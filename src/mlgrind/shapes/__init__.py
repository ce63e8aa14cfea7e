"""Shape rules and their pictures: the rules as plans (``rules``), typed shapes (``text``), colours
(``palette``), diagrams (``html``) and the live widgets (``widgets``)."""

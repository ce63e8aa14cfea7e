"""Shape rules and their pictures, one job per module.

``rules``: the rules as plans (pure data); ``text``: shapes as people type them; ``palette``:
colours and the roles they mean; ``html``: diagrams of plans; ``widgets``: live shape flows;
``sharding``: the picture of who holds which slice when an MLP is sharded.
"""

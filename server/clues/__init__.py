"""Clues from the public (线索, issue 17): 12345 hotline work orders, letters, visits,
online messages, media reports, referrals and inspectors' own leads that choose where an
unannounced inspection looks (seed 000 四(三): "根据日常工作掌握和群众来电来信反映情况").
docs/clues.md."""

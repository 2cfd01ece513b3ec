"""红色驿站: the community's stations where riders get water, a charge, a hot meal and a rest."""

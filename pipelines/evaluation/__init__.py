"""The evaluation cycle's register: adjustments (加减分, 一票否决) now, review and rectification later."""

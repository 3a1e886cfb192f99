! housing.f90 - examples/housing.c in Fortran: the same calls on the same
! data, printing the same numbers. Regression on the Boston housing data
! (data/housing.csv: 12 features, then MEDV in $1000s) with the scaling
! kept inside the network, Adam, mlp_fit with a validation split and early
! stopping, judged on held-out tracts in the original units.
! Usage: build/examples/housing_f data/housing.csv
program housing
  use, intrinsic :: iso_c_binding, only: dp => c_double
  use, intrinsic :: iso_fortran_env, only: error_unit
  use mlp
  implicit none
  ! Every fifth tract is held out for the test (as in housing.c).
  integer, parameter :: n_in = 12, n_rows = 506, n_test = 101, &
      n_train = n_rows - n_test
  real(dp) :: all_X(n_in, n_rows), all_T(1, n_rows)
  real(dp) :: X(n_in, n_train), T(1, n_train), X_test(n_in, n_test), &
      T_test(1, n_test), Y(1, n_test)
  logical :: held_out(n_rows)
  real(dp) :: mean, ss_res, ss_tot
  type(mlp_net) :: net
  type(mlp_fit_options) :: options
  type(mlp_fit_result) :: result
  character(4096) :: path
  integer :: s, i, unit, io

  if (command_argument_count() /= 1) error stop 'usage: housing_f data/housing.csv'
  call get_command_argument(1, path)
  ! One sample per column: X(:, i) is row i of the file.
  open (newunit=unit, file=trim(path), status='old', action='read', iostat=io)
  if (io /= 0) call fail('cannot open ' // trim(path))
  read (unit, *)                                  ! the header line
  do i = 1, n_rows
    read (unit, *, iostat=io) all_X(:, i), all_T(1, i)
    if (io /= 0) call fail(trim(path) // ': expected 506 rows of 13 numbers')
  end do
  close (unit)
  do i = 1, n_rows
    held_out(i) = mod(i, 5) == 0 .and. count(held_out(:i - 1)) < n_test
  end do
  X = reshape(pack(all_X, spread(.not. held_out, 1, n_in)), [n_in, n_train])
  T = reshape(pack(all_T, spread(.not. held_out, 1, 1)), [1, n_train])
  X_test = reshape(pack(all_X, spread(held_out, 1, n_in)), [n_in, n_test])
  T_test = reshape(pack(all_T, spread(held_out, 1, 1)), [1, n_test])

  ! 12 inputs, 16 tanh units, one linear output; a fifth of the training
  ! columns validate, for early stopping.
  call mlp_fit_defaults(options)
  options%epochs = 300
  options%batch_size = 32
  options%seed = 3
  options%validation = 0.2_dp
  options%patience = 30
  s = mlp_create(net, [n_in, 16, 1], [MLP_TANH, MLP_IDENTITY], MLP_MSE, 7)
  if (s == MLP_OK) s = mlp_fit_scaling(net, X, T)
  if (s == MLP_OK) s = mlp_set_adam(net, 0.01_dp, 0.9_dp, 0.999_dp, 1e-8_dp)
  if (s == MLP_OK) s = mlp_fit(net, X, T, options, result)
  if (s == MLP_OK) s = mlp_predict(net, X_test, Y)
  if (s /= MLP_OK) call fail(mlp_strerror(s))

  ! Test error in $1000s, and R^2 against predicting the test mean (the
  ! sums in the order of the C program, so the digits match).
  associate (tt => T_test(1, :))
    mean = 0
    do i = 1, n_test
      mean = mean + tt(i)
    end do
    mean = mean / n_test
    ss_res = 0
    ss_tot = 0
    do i = 1, n_test
      ss_res = ss_res + (Y(1, i) - tt(i)) * (Y(1, i) - tt(i))
      ss_tot = ss_tot + (tt(i) - mean) * (tt(i) - mean)
    end do
    print '(a, i0, a, i0, 3a)', 'epochs ', result%epochs_run, ', best ', &
        result%best_epoch, ', validation cost ', num(result%best_val_cost, 6), &
        ' (scaled units)'
    print '(4a)', 'test RMSE ', num(sqrt(ss_res / n_test), 4), ' ($1000s), R^2 ', &
        num(1 - ss_res / ss_tot, 4)
    print '(*(a))', 'first test tracts: predicted ', num(Y(1, 1), 3), ' ', &
        num(Y(1, 2), 3), ' ', num(Y(1, 3), 3), ', true ', num(tt(1), 3), ' ', &
        num(tt(2), 3), ' ', num(tt(3), 3)
  end associate
  call mlp_free(net)

contains

  ! Fortran 2008's ERROR STOP takes only a constant message: write the
  ! message, then stop with status 1.
  subroutine fail(message)
    character(*), intent(in) :: message
    write (error_unit, '(a)') message
    error stop 1
  end subroutine fail

  ! x with `digits` digits after the point, as C's %.<digits>f writes it.
  function num(x, digits) result(text)
    real(dp), intent(in) :: x
    integer, intent(in) :: digits
    character(:), allocatable :: text
    character(64) :: buffer, format
    write (format, '(a, i0, a)') '(f0.', digits, ')'
    write (buffer, format) x
    text = trim(buffer)
    if (text(1:1) == '.') text = '0' // text
    if (text(1:2) == '-.') text = '-0' // text(2:)
  end function num
end program housing
